//! The `arca encrypt` / `arca decrypt` command line (placeholder until the CLI lands).
