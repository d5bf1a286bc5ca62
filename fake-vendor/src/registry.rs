//! What the fake vendor has seen, for `GET /_fake/requests`.
//!
//! Kept in memory behind a `std::sync::Mutex`: every operation is a few field updates, never
//! held across an `.await`, so an async lock would only add overhead.

use std::collections::HashMap;

use serde::Serialize;

/// One `EdX-ID` and what happened to it.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Entry {
    pub edx_id: String,
    /// Valid requests for this id, including those answered `500` by `fail_first`.
    pub received: u64,
    /// `PASS`, `FAIL` or `SYSTEM FAIL` once processed.
    pub result: Option<&'static str>,
    /// HTTP status of the last callback attempt, once the callback is finished.
    pub callback_status: Option<u16>,
    pub expected_name: String,
    /// A submission of this id is being processed now.
    #[serde(skip)]
    pub processing: bool,
}

/// The JSON document of `GET /_fake/requests`.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Snapshot {
    pub requests: Vec<Entry>,
    pub refused: u64,
}

/// All requests so far.
#[derive(Debug, Default)]
pub(super) struct Registry {
    entries: Vec<Entry>,
    /// `EdX-ID` → position in `entries`, which keeps arrival order.
    index: HashMap<String, usize>,
    refused: u64,
    /// Valid requests across all ids, to apply `fail_first` globally.
    valid: u64,
}

impl Registry {
    /// Counts a refused request (bad JSON, auth, date or fields).
    pub fn refuse(&mut self) {
        self.refused += 1;
    }

    /// Counts a valid request and returns its global ordinal (1 for the first valid
    /// request), which the caller compares with `fail_first`.
    pub fn receive(&mut self, edx_id: &str, expected_name: &str) -> u64 {
        self.valid += 1;
        match self.index.get(edx_id) {
            Some(&i) => {
                let entry = &mut self.entries[i];
                entry.received += 1;
                // A resubmission may correct the name; report what was last sent.
                expected_name.clone_into(&mut entry.expected_name);
            }
            None => {
                self.index.insert(edx_id.to_owned(), self.entries.len());
                self.entries.push(Entry {
                    edx_id: edx_id.to_owned(),
                    received: 1,
                    result: None,
                    callback_status: None,
                    expected_name: expected_name.to_owned(),
                    processing: false,
                });
            }
        }
        self.valid
    }

    /// Records the decision for an id, and clears the status of an earlier callback.
    pub fn decided(&mut self, edx_id: &str, result: &'static str) {
        if let Some(entry) = self.entry_mut(edx_id) {
            entry.result = Some(result);
            entry.callback_status = None;
        }
    }

    /// Whether a submission of `edx_id` is processed now, as a real vendor keeps one verdict
    /// per receipt id: not while an earlier one is being processed, nor after a PASS or FAIL
    /// whose callback was delivered (a resend that raced the callback must not be decided
    /// again from photo URLs that Vouch closed at the decision); again after a SYSTEM FAIL or
    /// an undelivered callback. Marks it as being processed when it answers yes.
    pub fn start_processing(&mut self, edx_id: &str) -> bool {
        let Some(entry) = self.entry_mut(edx_id) else { return true };
        let delivered = entry.callback_status.is_some_and(|s| (200..300).contains(&s));
        if entry.processing || (matches!(entry.result, Some("PASS" | "FAIL")) && delivered) {
            return false;
        }
        entry.processing = true;
        true
    }

    /// Records the final callback status (`None`: no attempt got an HTTP answer).
    pub fn called_back(&mut self, edx_id: &str, status: Option<u16>) {
        if let Some(entry) = self.entry_mut(edx_id) {
            entry.callback_status = status;
            entry.processing = false;
        }
    }

    /// A copy for the JSON report.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot { requests: self.entries.clone(), refused: self.refused }
    }

    fn entry_mut(&mut self, edx_id: &str) -> Option<&mut Entry> {
        let i = *self.index.get(edx_id)?;
        self.entries.get_mut(i)
    }
}
