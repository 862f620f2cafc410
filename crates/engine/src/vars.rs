//! Workflow variables (`Assign`): one scope per execution, Parallel branch and Map iteration.
//! Inner scopes read outer ones; assignments land in the innermost scope.

use serde_json::{Map, Value};
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub(crate) struct Vars {
    parent: Option<Arc<Vars>>,
    values: Arc<Map<String, Value>>,
    /// Serialised size of `values`, for AWS's 10 MiB limit on stored variables.
    bytes: usize,
}

impl Vars {
    /// A new innermost scope whose reads fall through to `outer`.
    pub fn child_of(outer: &Vars) -> Vars {
        if outer.parent.is_none() && outer.values.is_empty() {
            return Vars::default();
        }
        Vars {
            parent: Some(Arc::new(outer.clone())),
            values: Arc::default(),
            bytes: 0,
        }
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        match self.values.get(name) {
            Some(v) => Some(v),
            None => self.parent.as_deref().and_then(|p| p.get(name)),
        }
    }

    /// Stores `value` (`size` bytes as JSON) in this scope.
    pub fn assign(&mut self, name: String, value: Value, size: usize) {
        let old = Arc::make_mut(&mut self.values).insert(name, value);
        let old_size = old.as_ref().map_or(0, crate::execution::payload_size);
        self.bytes = self.bytes.saturating_sub(old_size) + size;
    }

    /// Bytes held by this scope and the scopes it reads from.
    pub fn total_bytes(&self) -> usize {
        let mut total = 0;
        let mut cur = Some(self);
        while let Some(v) = cur {
            total += v.bytes;
            cur = v.parent.as_deref();
        }
        total
    }

    /// Size of `name`'s value in this scope (0 when it is not assigned here).
    pub fn own_size(&self, name: &str) -> usize {
        self.values
            .get(name)
            .map_or(0, crate::execution::payload_size)
    }
}

impl asl::template::Variables for Vars {
    fn get(&self, name: &str) -> Option<&Value> {
        Vars::get(self, name)
    }
}
