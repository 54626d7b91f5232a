use chrono::{DateTime, Utc};
use uuid::Uuid;
use viban_core::{DefaultRuntime, Project, RuntimeOptions, UpdateProject};

use crate::{Db, DbError};

/// A project whose repository path was already validated and canonicalised by the caller.
#[derive(Debug, Clone)]
pub struct NewProject {
    pub name: String,
    pub repo_path: String,
    pub default_branch: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ProjectRow {
    id: Uuid,
    name: String,
    repo_path: String,
    default_branch: Option<String>,
    setup_script: String,
    copy_files: Vec<String>,
    default_runtime: String,
    runtime_options: sqlx::types::Json<RuntimeOptions>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<ProjectRow> for Project {
    fn from(r: ProjectRow) -> Self {
        Project {
            id: r.id,
            name: r.name,
            repo_path: r.repo_path,
            default_branch: r.default_branch,
            setup_script: r.setup_script,
            copy_files: r.copy_files,
            // The column's CHECK allows nothing else.
            default_runtime: DefaultRuntime::parse(&r.default_runtime).unwrap_or_default(),
            runtime_options: r.runtime_options.0,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const COLUMNS: &str = "id, name, repo_path, default_branch, setup_script, copy_files, default_runtime, runtime_options, created_at, \
     updated_at";

impl Db {
    pub async fn create_project(&self, p: NewProject) -> Result<Project, DbError> {
        let row: ProjectRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO projects (id, name, repo_path, default_branch) VALUES ($1, $2, $3, $4) RETURNING {COLUMNS}"
        )))
        .bind(Uuid::now_v7())
        .bind(&p.name)
        .bind(&p.repo_path)
        .bind(&p.default_branch)
        .fetch_one(self.pool())
        .await
        .map_err(|e| match DbError::from_sqlx(e) {
            DbError::Conflict(_) => DbError::Conflict(format!("a project for {} already exists", p.repo_path)),
            other => other,
        })?;
        Ok(row.into())
    }

    pub async fn list_projects(&self) -> Result<Vec<Project>, DbError> {
        let rows: Vec<ProjectRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM projects ORDER BY lower(name), id")))
                .fetch_all(self.pool())
                .await
                .map_err(DbError::from_sqlx)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    pub async fn get_project(&self, id: Uuid) -> Result<Project, DbError> {
        let row: Option<ProjectRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM projects WHERE id = $1")))
                .bind(id)
                .fetch_optional(self.pool())
                .await
                .map_err(DbError::from_sqlx)?;
        row.map(Into::into).ok_or(DbError::NotFound("project"))
    }

    /// Changes name, setup script, files to copy or default runtime (absent fields stay).
    pub async fn update_project(&self, id: Uuid, upd: UpdateProject) -> Result<Project, DbError> {
        if let Some(name) = &upd.name
            && (name.trim().is_empty() || name.chars().count() > 200)
        {
            return Err(DbError::Invalid("a project name needs 1 to 200 characters".into()));
        }
        if upd.setup_script.as_ref().is_some_and(|s| s.len() > 100_000) {
            return Err(DbError::Invalid("the setup script may have at most 100,000 bytes".into()));
        }
        if let Some(files) = &upd.copy_files
            && let Some(bad) = files.iter().find(|f| {
                let p = std::path::Path::new(f.as_str());
                f.trim().is_empty()
                    || p.is_absolute()
                    || p.components().any(|c| matches!(c, std::path::Component::ParentDir))
            })
        {
            return Err(DbError::Invalid(format!(
                "{bad:?}: files to copy must be relative paths inside the repository"
            )));
        }
        if let Some(problem) = upd.runtime_options.as_ref().and_then(RuntimeOptions::problem) {
            return Err(DbError::Invalid(problem));
        }
        let row: Option<ProjectRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE projects SET name = coalesce($2, name), setup_script = coalesce($3, setup_script), \
             copy_files = coalesce($4, copy_files), default_runtime = coalesce($5, default_runtime), \
             runtime_options = coalesce($6, runtime_options), updated_at = now() WHERE id = $1 RETURNING {COLUMNS}"
        )))
        .bind(id)
        .bind(upd.name.as_deref().map(str::trim))
        .bind(&upd.setup_script)
        .bind(&upd.copy_files)
        .bind(upd.default_runtime.map(DefaultRuntime::as_str))
        .bind(upd.runtime_options.clone().map(sqlx::types::Json))
        .fetch_optional(self.pool())
        .await
        .map_err(DbError::from_sqlx)?;
        row.map(Into::into).ok_or(DbError::NotFound("project"))
    }

    /// Removes the project and its tasks from viban; their history stays in `task_events`.
    pub async fn delete_project(&self, id: Uuid) -> Result<(), DbError> {
        let done = sqlx::query("DELETE FROM projects WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await
            .map_err(DbError::from_sqlx)?;
        if done.rows_affected() == 0 {
            return Err(DbError::NotFound("project"));
        }
        Ok(())
    }
}
