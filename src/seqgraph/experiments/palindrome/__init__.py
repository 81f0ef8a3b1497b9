"""The course's memory benchmark: recurrent cells recall the first digit of a palindrome (and
the other tasks of the ``palindrome`` family) — the spec (:mod:`.spec`) and K runs trained as one
model (:mod:`.train`)."""
