//! Payload templates (`Parameters`, `ResultSelector`, `ItemSelector`) and the evaluation [`Scope`].
//!
//! (Template compilation and evaluation follow below.)

use serde_json::Value;

/// Workflow variables (`Assign`) visible to a JSONPath `$name` reference.
pub trait Variables {
    /// The value of variable `name`, if it is defined in this scope.
    fn get(&self, name: &str) -> Option<&Value>;
}

/// No variables at all.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoVariables;

impl Variables for NoVariables {
    fn get(&self, _name: &str) -> Option<&Value> {
        None
    }
}

impl Variables for serde_json::Map<String, Value> {
    fn get(&self, name: &str) -> Option<&Value> {
        serde_json::Map::get(self, name)
    }
}

impl Variables for std::collections::HashMap<String, Value> {
    fn get(&self, name: &str) -> Option<&Value> {
        std::collections::HashMap::get(self, name)
    }
}

impl Variables for std::collections::BTreeMap<String, Value> {
    fn get(&self, name: &str) -> Option<&Value> {
        std::collections::BTreeMap::get(self, name)
    }
}

/// The source of randomness for `States.MathRandom` (unseeded) and `States.UUID`.
///
/// Injected by the caller so that the engine stays deterministic (replay, tests). Methods take
/// `&self`: implementations use interior mutability.
pub trait Entropy {
    /// A uniformly distributed number in `[0, 1)`.
    fn next_f64(&self) -> f64;
    /// 16 random bytes (for a version 4 UUID).
    fn next_bytes16(&self) -> [u8; 16];
}

/// A deterministic [`Entropy`] (SplitMix64) seeded by the caller.
#[derive(Debug, Clone)]
pub struct SeededEntropy {
    state: std::cell::Cell<u64>,
}

impl SeededEntropy {
    /// A generator that always produces the same sequence for the same seed.
    pub fn new(seed: u64) -> Self {
        SeededEntropy {
            state: std::cell::Cell::new(seed),
        }
    }

    fn next_u64(&self) -> u64 {
        let s = self.state.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        self.state.set(s);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Default for SeededEntropy {
    fn default() -> Self {
        Self::new(0)
    }
}

impl Entropy for SeededEntropy {
    fn next_f64(&self) -> f64 {
        // 53 random mantissa bits: uniform in [0, 1).
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn next_bytes16(&self) -> [u8; 16] {
        let a = self.next_u64().to_le_bytes();
        let b = self.next_u64().to_le_bytes();
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&a);
        out[8..].copy_from_slice(&b);
        out
    }
}

/// Everything a JSONPath, a template, an intrinsic call or a Choice rule can read.
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    /// The effective input (`$`).
    pub input: &'a Value,
    /// The Context object (`$$`).
    pub context: &'a Value,
    /// Workflow variables (`$name`).
    pub variables: &'a dyn Variables,
    /// Randomness for `States.MathRandom` / `States.UUID`.
    pub entropy: &'a dyn Entropy,
}

static NO_VARIABLES: NoVariables = NoVariables;
static NULL: Value = Value::Null;

impl<'a> Scope<'a> {
    /// A scope with the given input and context, no variables, and `entropy` for random functions.
    pub fn new(input: &'a Value, context: &'a Value, entropy: &'a dyn Entropy) -> Self {
        Scope {
            input,
            context,
            variables: &NO_VARIABLES,
            entropy,
        }
    }

    /// A scope with only an input: context `null`, no variables.
    pub fn with_input(input: &'a Value, entropy: &'a dyn Entropy) -> Self {
        Self::new(input, &NULL, entropy)
    }

    /// The same scope reading variables from `variables`.
    pub fn with_variables(mut self, variables: &'a dyn Variables) -> Self {
        self.variables = variables;
        self
    }

    /// The same scope with another input (e.g. Choice rules evaluate against the effective input).
    pub fn with_input_value(mut self, input: &'a Value) -> Self {
        self.input = input;
        self
    }
}
