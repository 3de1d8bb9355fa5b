"""The ``rlvr`` command line: one module per subcommand, formatting only; the work is
done by the library functions they call."""
