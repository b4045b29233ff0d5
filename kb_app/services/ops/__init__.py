"""Operations: health, backup and restore."""
