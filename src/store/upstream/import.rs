//! The hotline import's reads: which of an export's calls are already
//! there (the writes are `UpTx::import_batch`).

use super::*;

impl UpRead<'_> {
    /// How many of `refs` `channel` already has, in any year (an import's check).
    pub fn refs_present(&self, channel: Channel, refs: &[String]) -> Result<usize, StoreError> {
        let channel = to_value(&channel);
        let mut st = self.c.prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM suggestions WHERE channel = ?1 AND source_ref = ?2)",
        )?;
        let mut n = 0;
        for r in refs {
            let there: bool =
                st.query_row(params![channel.as_str().unwrap_or(""), r], |row| row.get(0))?;
            n += usize::from(there);
        }
        Ok(n)
    }
}
