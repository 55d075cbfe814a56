"""Research scripts that reproduce the model card's experiment tables (``models/README.md``).

Not part of the installed ``kiemtin`` package: run them from the repository root, e.g.
``python -m research.experiments`` or ``python -m research.stack_experiments``. They import ``classifier``;
nothing in ``classifier`` (or any other shipped package) imports them.
"""
