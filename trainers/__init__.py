"""trainers: policy-gradient and preference trainers over rlvr_envs environments.

Talks to environments only through the public ``rlvr_envs`` API. Its ``rlvr train``
command plugs into the CLI through the ``rlvr_envs.commands`` entry-point group.
The trainers arrive with the training work; this package is shipped now so the
distribution's layout is fixed from the start.
"""
