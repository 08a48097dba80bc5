"""The game day: plan -> play -> collect -> score -> gate."""
