import pytest

from rlvr_envs.verifiers.proof.coq_check import normalize_statement, parse_assumptions
from rlvr_envs.verifiers.proof.coq_text import CoqSyntaxError, screen_coq, split_sentences


def texts(script: str) -> list[str]:
    return [s.text for s in split_sentences(script)]


def test_sentences_end_at_a_period_and_a_blank():
    assert texts("intros n. simpl.\nreflexivity.") == ["intros n.", "simpl.", "reflexivity."]
    assert texts("rewrite Nat.add_comm. exact (f 1.5).") == [
        "rewrite Nat.add_comm.",
        "exact (f 1.5).",
    ]


def test_bullets_and_braces_are_sentences():
    assert texts("- simpl. { auto. }\n-- lia.") == ["-", "simpl.", "{", "auto.", "}", "--", "lia."]


def test_comments_nest_and_strings_inside_comments_are_strings():
    # Coq lexes the string inside the comment: `*)` within it does not close the comment.
    script = 'auto. (* a (* nested *) " *) Admitted. (* " *) Qed.'
    sentences = split_sentences(script)
    assert [s.code for s in sentences] == ["auto.", "Qed."]
    assert screen_coq(script) is None


def test_unterminated_text_is_an_error():
    for script in ("auto. (* open", 'idtac "open.', "intros n"):
        with pytest.raises(CoqSyntaxError):
            split_sentences(script)


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ("Proof. Admitted.", "`Admitted` leaves the theorem unproved"),
        ("Proof. admit. Qed.", "the `admit` tactic leaves a goal unproved"),
        ("Local Axiom x : False.", "new axioms are not allowed"),
        ("#[local] Axiom x : False.", "new axioms are not allowed"),
        ("Parameter x : False.", "new assumptions (Parameter) are not allowed"),
        ("Unset Guard Checking.", "`Unset` of options is not allowed"),
        ("Local Unset Universe Checking.", "`Unset` of options is not allowed"),
        ("#[bypass_check(guard)] Fixpoint f (n : nat) : False := f n.", "bypass the kernel"),
        ('Declare ML Module "evil".', "`Declare` commands"),
        ("Drop.", "end or alter the session"),
        ("Quit.", "end or alter the session"),
        ("Reset Initial.", "end or alter the session"),
        ("Back 2.", "end or alter the session"),
        ('Load "x.v".', "`Load` runs another file"),
        ('Redirect "out" Print nat.', "`Redirect` writes files"),
        ('Notation "x + y" := (x * y).', "notations is not allowed"),
        ("Require Import Rlvr.Candidate.", "`Require` of a file that is not a library"),
        ("Program Definition x : False := _. Admit Obligations.", "obligations unproved"),
        ("Proof. auto. (* unclosed", "unterminated comment"),
    ],
)
def test_the_screening_names_what_is_forbidden(script, reason):
    refused = screen_coq(script)
    assert refused is not None and reason in refused, refused


def test_the_screening_ignores_comments_and_strings():
    assert screen_coq('Proof. (* no admit here *) idtac "Admitted". auto. Qed.') is None
    assert screen_coq("Require Import Arith Lia. Proof. lia. Qed.") is None


def test_statements_compare_without_blanks_and_comments():
    assert normalize_statement("forall n:nat,  n + 0 = n") == normalize_statement(
        "forall n : nat, (* c *) n + 0 = n."
    )


def test_print_assumptions_is_parsed():
    output = (
        "Axioms:\nClassical_Prop.classic : forall P : Prop,\n  P \\/ ~ P\n"
        "f is assumed to be guarded.\n"
    )
    assert parse_assumptions(output) == (
        ["Classical_Prop.classic"],
        ["f is assumed to be guarded."],
    )
    assert parse_assumptions("Closed under the global context") == ([], [])
