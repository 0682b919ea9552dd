//! Staff accounts, their sessions, and settings.

use super::*;

/// A staff account as the web edge sees it.
#[derive(Clone, Debug)]
pub struct Staff {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: StaffRole,
}

impl Store {
    // --- staff and sessions -------------------------------------------------

    pub async fn create_staff(
        &self,
        username: String,
        display_name: String,
        role: StaffRole,
        password_hash: String,
    ) -> Result<i64, StoreError> {
        self.write(move |tx| {
            let n = tx.execute(
                "INSERT INTO staff (username, display_name, role, password_hash) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(username) DO NOTHING",
                params![username, display_name, role.as_str(), password_hash],
            )?;
            if n == 0 {
                return Err(StoreError::conflict(format!("用户名 {username} 已存在")));
            }
            Ok(tx.last_insert_rowid())
        })
        .await
    }

    /// Sets a staff account's password hash and ends all its sessions.
    pub async fn reset_password(
        &self,
        username: String,
        password_hash: String,
    ) -> Result<(), StoreError> {
        self.write(move |tx| {
            let id: Option<i64> = tx
                .query_row(
                    "SELECT id FROM staff WHERE username = ?1",
                    [&username],
                    |r| r.get(0),
                )
                .optional()?;
            let id = id.ok_or(StoreError::NotFound("工作人员账号"))?;
            tx.execute(
                "UPDATE staff SET password_hash = ?2 WHERE id = ?1",
                params![id, password_hash],
            )?;
            tx.execute("DELETE FROM staff_sessions WHERE staff_id = ?1", [id])?;
            Ok(())
        })
        .await
    }

    pub async fn staff_count(&self) -> Result<u64, StoreError> {
        self.read(|c| Ok(c.query_row("SELECT COUNT(*) FROM staff", [], |r| r.get(0))?))
            .await
    }

    /// The account and its password hash.
    pub async fn staff_by_username(
        &self,
        username: String,
    ) -> Result<Option<(Staff, String)>, StoreError> {
        self.read(move |c| {
            c.query_row(
                "SELECT id, username, display_name, role, password_hash FROM staff WHERE username = ?1",
                [&username],
                |r| Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?, r.get(4)?)),
            )
            .optional()?
            .map(|(id, username, display_name, role, hash)| {
                let role = StaffRole::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("role {role}")))?;
                Ok((Staff { id, username, display_name, role }, hash))
            })
            .transpose()
        })
        .await
    }

    pub async fn create_session(
        &self,
        token_hash: String,
        staff_id: i64,
        csrf: String,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        self.write(move |tx| {
            tx.execute("DELETE FROM staff_sessions WHERE expires_at < ?1", [expires_at - 2 * 86400])?;
            tx.execute(
                "INSERT INTO staff_sessions (token_hash, staff_id, csrf, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![token_hash, staff_id, csrf, expires_at],
            )?;
            Ok(())
        })
        .await
    }

    /// The signed-in staff member and the session's CSRF token.
    pub async fn session(
        &self,
        token_hash: String,
        now: i64,
    ) -> Result<Option<(Staff, String)>, StoreError> {
        self.read(move |c| {
            c.query_row(
                "SELECT s.id, s.username, s.display_name, s.role, x.csrf FROM staff_sessions x
                 JOIN staff s ON s.id = x.staff_id WHERE x.token_hash = ?1 AND x.expires_at > ?2",
                params![token_hash, now],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get::<_, String>(3)?,
                        r.get(4)?,
                    ))
                },
            )
            .optional()?
            .map(|(id, username, display_name, role, csrf)| {
                let role = StaffRole::parse(&role)
                    .ok_or_else(|| StoreError::Corrupt(format!("role {role}")))?;
                Ok((
                    Staff {
                        id,
                        username,
                        display_name,
                        role,
                    },
                    csrf,
                ))
            })
            .transpose()
        })
        .await
    }

    pub async fn delete_session(&self, token_hash: String) -> Result<(), StoreError> {
        self.write(move |tx| {
            tx.execute(
                "DELETE FROM staff_sessions WHERE token_hash = ?1",
                [token_hash],
            )?;
            Ok(())
        })
        .await
    }

    // --- settings -------------------------------------------------------------

    pub async fn set_setting(&self, key: &'static str, value: String) -> Result<(), StoreError> {
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )?;
            Ok(())
        })
        .await
    }

    pub async fn setting(&self, key: &'static str) -> Result<Option<String>, StoreError> {
        self.read(move |c| {
            Ok(
                c.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                    r.get(0)
                })
                .optional()?,
            )
        })
        .await
    }
}
