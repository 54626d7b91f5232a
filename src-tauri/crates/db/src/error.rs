use std::io::ErrorKind;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("the disk is full: {0}")]
    DiskFull(String),
    #[error("applying migrations failed: {0}")]
    Migrate(String),
    /// The database was migrated by a newer viban: starting would run old code on a newer schema.
    #[error(
        "the database's schema is newer than this viban-server: it has migration {found}, this binary knows up to \
         {known}. Run the newer viban-server (or restore a backup taken before the upgrade)"
    )]
    SchemaNewer { found: i64, known: i64 },
    #[error("database error: {0}")]
    Other(#[source] sqlx::Error),
}

impl DbError {
    /// Sorts a driver error into what the caller can act on: unavailable (retry later), conflict, invalid, other.
    pub fn from_sqlx(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => Self::NotFound("row"),
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => Self::Unavailable(e.to_string()),
            sqlx::Error::Io(io)
                if matches!(
                    io.kind(),
                    ErrorKind::ConnectionRefused
                        | ErrorKind::ConnectionReset
                        | ErrorKind::ConnectionAborted
                        | ErrorKind::BrokenPipe
                        | ErrorKind::UnexpectedEof
                        | ErrorKind::NotFound
                ) =>
            {
                Self::Unavailable(e.to_string())
            }
            sqlx::Error::Database(db) => match db.code().as_deref() {
                Some("23505") => Self::Conflict(db.message().to_string()),
                Some("23514") | Some("22001") | Some("22P02") => Self::Invalid(db.message().to_string()),
                // disk_full, and out_of_memory's sibling for files: PostgreSQL could not extend a file.
                Some("53100") => Self::DiskFull(db.message().to_string()),
                // admin_shutdown, crash_shutdown, cannot_connect_now: the server is going away or starting.
                Some("57P01") | Some("57P02") | Some("57P03") => Self::Unavailable(db.message().to_string()),
                _ => Self::Other(e),
            },
            _ => Self::Other(e),
        }
    }
}
