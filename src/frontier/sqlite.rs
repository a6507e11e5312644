//! The SQLite frontier (the default store).
