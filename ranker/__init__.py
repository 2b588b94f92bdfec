"""Learning from reviewers: preference pairs, features and the pairwise ranker (pure)."""
