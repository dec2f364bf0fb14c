"""ПФДО: personalised financing of children's supplementary education."""
