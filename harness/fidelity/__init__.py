"""The fidelity suite: the smoke game against copies of the project that carry one
realistic code regression each (mutants), and against clean copies. It measures the
verdict itself: every mutant must fail the gate, no clean game may."""
