//! The functions Step Functions adds to JSONata: `$partition`, `$range`, `$hash`, `$random`,
//! `$uuid`, `$parse`.
// The host-function signature of the `jsonata` crate fixes the error type.
#![allow(clippy::result_large_err)]

use asl::intrinsics;
use asl::template::Scope;
use serde_json::Value;

fn jerr(code: &str, message: impl Into<String>) -> jsonata::Error {
    jsonata::Error {
        code: code.to_string(),
        position: None,
        message: message.into(),
        token: None,
        value: None,
    }
}

fn as_array(v: &Option<Value>, name: &str) -> Result<Vec<Value>, jsonata::Error> {
    match v {
        Some(Value::Array(a)) => Ok(a.clone()),
        Some(other) => Ok(vec![other.clone()]),
        None => Err(jerr(
            "T0410",
            format!("Argument 1 of function \"{name}\" is undefined"),
        )),
    }
}

fn as_int(v: &Option<Value>, arg: usize, name: &str) -> Result<i64, jsonata::Error> {
    match v.as_ref().and_then(Value::as_f64) {
        Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
        _ => Err(jerr(
            "T0410",
            format!("Argument {arg} of function \"{name}\" must be an integer"),
        )),
    }
}

/// The functions Step Functions adds to JSONata: `$partition`, `$range`, `$hash`, `$random`,
/// `$uuid`, `$parse` (and `$eval`, which it takes away). Built once; an evaluation binds only
/// those its expression mentions, binding costs allocations on every evaluation.
pub(crate) fn step_functions() -> &'static [(&'static str, jsonata::CustomFunction)] {
    static BASE: std::sync::OnceLock<Vec<(&'static str, jsonata::CustomFunction)>> =
        std::sync::OnceLock::new();
    BASE.get_or_init(|| {
        let partition: jsonata::CustomFunction = std::sync::Arc::new(|_ctx, args| {
            let items = as_array(&args.first().cloned().flatten(), "partition")?;
            let size = as_int(&args.get(1).cloned().flatten(), 2, "partition")?;
            if size <= 0 {
                return Err(jerr(
                    "D3137",
                    "The size of the partition must be greater than 0",
                ));
            }
            let chunks: Vec<Value> = items
                .chunks(usize::try_from(size).unwrap_or(usize::MAX))
                .map(|c| Value::Array(c.to_vec()))
                .collect();
            Ok(Some(Value::Array(chunks)))
        });
        let range: jsonata::CustomFunction = std::sync::Arc::new(|_ctx, args| {
            let start = as_int(&args.first().cloned().flatten(), 1, "range")?;
            let end = as_int(&args.get(1).cloned().flatten(), 2, "range")?;
            let step = as_int(&args.get(2).cloned().flatten(), 3, "range")?;
            if step == 0 {
                return Err(jerr("D3137", "The step of the range must not be 0"));
            }
            let mut out = Vec::new();
            let mut i = start;
            while (step > 0 && i <= end) || (step < 0 && i >= end) {
                if out.len() >= 1000 {
                    return Err(jerr(
                        "D3137",
                        "The range must contain at most 1000 elements",
                    ));
                }
                out.push(Value::from(i));
                i += step;
            }
            Ok(Some(Value::Array(out)))
        });
        let parse: jsonata::CustomFunction =
            std::sync::Arc::new(|_ctx, args| match args.first().cloned().flatten() {
                Some(Value::String(s)) => serde_json::from_str::<Value>(&s)
                    .map(Some)
                    .map_err(|e| jerr("D3137", format!("Unable to parse JSON: {e}"))),
                Some(_) => Err(jerr(
                    "T0410",
                    "Argument 1 of function \"parse\" must be a string",
                )),
                None => Ok(None),
            });
        // With a seed, the same number every time (AWS's extension); assumed to be Java's
        // `new Random(seed).nextDouble()`, AWS's runtime being JVM-based.
        let random: jsonata::CustomFunction =
            std::sync::Arc::new(|ctx, args| match args.first().cloned().flatten() {
                None => Ok(Some(Value::from(ctx.random()))),
                seed => {
                    let seed = as_int(&seed, 1, "random")?;
                    Ok(Some(Value::from(java_next_double(seed))))
                }
            });
        // Step Functions leaves `$eval` out of JSONata: calling it fails like calling any
        // unbound name.
        let eval: jsonata::CustomFunction = std::sync::Arc::new(|_ctx, _args| {
            Err(jerr("T1006", "Attempted to invoke a non-function"))
        });
        let uuid: jsonata::CustomFunction = std::sync::Arc::new(|ctx, _args| {
            let mut bytes = [0u8; 16];
            for chunk in bytes.chunks_mut(4) {
                let r = (ctx.random() * 4_294_967_296.0) as u32;
                chunk.copy_from_slice(&r.to_be_bytes());
            }
            bytes[6] = (bytes[6] & 0x0f) | 0x40;
            bytes[8] = (bytes[8] & 0x3f) | 0x80;
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            Ok(Some(Value::String(format!(
                "{}-{}-{}-{}-{}",
                &hex[0..8],
                &hex[8..12],
                &hex[12..16],
                &hex[16..20],
                &hex[20..32]
            ))))
        });
        let hash: jsonata::CustomFunction = std::sync::Arc::new(|_ctx, args| {
            let data = args.first().cloned().flatten().unwrap_or(Value::Null);
            let algo = args.get(1).cloned().flatten().unwrap_or(Value::Null);
            let input = serde_json::json!({"d": data, "a": algo});
            let call = intrinsics::parse("States.Hash($.d, $.a)")
                .map_err(|e| jerr("D3137", e.to_string()))?;
            struct NoEntropy;
            impl asl::template::Entropy for NoEntropy {
                fn next_f64(&self) -> f64 {
                    0.0
                }
                fn next_bytes16(&self) -> [u8; 16] {
                    [0; 16]
                }
            }
            let entropy = NoEntropy;
            let scope = Scope::with_input(&input, &entropy);
            call.evaluate(&scope)
                .map(Some)
                .map_err(|e| jerr("D3137", e.cause))
        });
        vec![
            ("partition", partition),
            ("range", range),
            ("parse", parse),
            ("random", random),
            ("uuid", uuid),
            ("hash", hash),
            ("eval", eval),
        ]
    })
}

/// `new java.util.Random(seed).nextDouble()`.
fn java_next_double(seed: i64) -> f64 {
    const MULT: u64 = 0x5_DEEC_E66D;
    const MASK: u64 = (1 << 48) - 1;
    let mut state = (seed as u64 ^ MULT) & MASK;
    let mut next = |bits: u32| -> u64 {
        state = (state.wrapping_mul(MULT).wrapping_add(0xB)) & MASK;
        state >> (48 - bits)
    };
    let hi = next(26);
    let lo = next(27);
    ((hi << 27) + lo) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    #[test]
    fn java_random_next_double_matches_the_jdk() {
        // `new Random(42).nextDouble()` and `new Random(0).nextDouble()` on a JDK.
        assert_eq!(super::java_next_double(42), 0.7275636800328681);
        assert_eq!(super::java_next_double(0), 0.730967787376657);
    }
}
