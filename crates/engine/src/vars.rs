//! Workflow variables (`Assign`): one scope per execution, Parallel branch and Map iteration.
//! Inner scopes read outer ones; assignments land in the innermost scope.

use serde_json::{Map, Value};
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub(crate) struct Vars {
    parent: Option<Arc<Vars>>,
    values: Arc<Map<String, Value>>,
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
        }
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        match self.values.get(name) {
            Some(v) => Some(v),
            None => self.parent.as_deref().and_then(|p| p.get(name)),
        }
    }

    /// Calls `f` on every visible variable (inner scopes first; shadowed ones skipped).
    pub fn visit(&self, f: &mut dyn FnMut(&str, &Value)) {
        let mut seen = std::collections::HashSet::new();
        let mut cur = Some(self);
        while let Some(v) = cur {
            for (k, val) in v.values.iter() {
                if seen.insert(k.as_str()) {
                    f(k, val);
                }
            }
            cur = v.parent.as_deref();
        }
    }

    pub fn assign(&mut self, name: String, value: Value) {
        Arc::make_mut(&mut self.values).insert(name, value);
    }
}

impl asl::template::Variables for Vars {
    fn get(&self, name: &str) -> Option<&Value> {
        Vars::get(self, name)
    }
}
