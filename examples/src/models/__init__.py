"""Example project for ptlint: the models of the seed article."""
