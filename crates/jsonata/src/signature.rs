//! Function signatures (`<s-nn?:s>`): parsing and argument validation with jsonata-js's
//! semantics, including context substitution (`-`) and singleton-to-array promotion.

use crate::error::Err;
use crate::value::Value;

#[derive(Debug, Clone)]
struct Param {
    /// type symbols accepted (jsonata-js regex character class)
    set: String,
    /// the parameter's declared type: a single symbol or `(..)`
    type_: String,
    optional: bool,
    plus: bool,
    context: bool,
    subtype: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Signature {
    params: Vec<Param>,
}

fn closing(s: &[char], start: usize, open: char, close: char) -> usize {
    let mut depth = 1;
    let mut p = start;
    while p < s.len() {
        p += 1;
        match s.get(p) {
            Some(c) if *c == open => depth += 1,
            Some(c) if *c == close => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            _ => {}
        }
    }
    p
}

impl Signature {
    pub fn parse(sig: &str) -> Result<Signature, Err> {
        let s: Vec<char> = sig.chars().collect();
        let mut params: Vec<Param> = Vec::new();
        let mut pos = 1;
        let new_param = |set: &str, t: &str| Param {
            set: set.to_string(),
            type_: t.to_string(),
            optional: false,
            plus: false,
            context: false,
            subtype: None,
        };
        while pos < s.len() {
            let c = s[pos];
            if c == ':' {
                break;
            }
            match c {
                's' | 'n' | 'b' | 'l' | 'o' => {
                    params.push(new_param(&format!("{c}m"), &c.to_string()))
                }
                'a' => params.push(new_param("asnblfom", "a")),
                'f' => params.push(new_param("f", "f")),
                'j' => params.push(new_param("asnblom", "j")),
                'x' => params.push(new_param("asnblfom", "x")),
                '-' => {
                    if let Some(p) = params.last_mut() {
                        p.context = true;
                        p.optional = true;
                    }
                }
                '?' => {
                    if let Some(p) = params.last_mut() {
                        p.optional = true;
                    }
                }
                '+' => {
                    if let Some(p) = params.last_mut() {
                        p.plus = true;
                    }
                }
                '(' => {
                    let end = closing(&s, pos, '(', ')');
                    let choice: String = s[pos + 1..end.min(s.len())].iter().collect();
                    if choice.contains('<') {
                        return Err(Err::new("S0402").pos(pos));
                    }
                    params.push(new_param(&format!("{choice}m"), &format!("({choice})")));
                    pos = end;
                }
                '<' => {
                    let ok = params
                        .last()
                        .is_some_and(|p| p.type_ == "a" || p.type_ == "f");
                    if !ok {
                        return Err(Err::new("S0401").pos(pos));
                    }
                    let end = closing(&s, pos, '<', '>');
                    let sub: String = s[pos + 1..end.min(s.len())].iter().collect();
                    if let Some(p) = params.last_mut() {
                        p.subtype = Some(sub);
                    }
                    pos = end;
                }
                _ => {}
            }
            pos += 1;
        }
        Ok(Signature { params })
    }

    pub fn param_count(&self) -> usize {
        self.params.len()
    }

    /// Backtracking match of the argument type string against the parameters, as the
    /// JavaScript regex would (greedy, leftmost). Returns the number of symbols each
    /// parameter consumed.
    fn match_counts(&self, syms: &[char]) -> Option<Vec<usize>> {
        let mut counts = vec![0; self.params.len()];
        if self.bt(0, 0, syms, &mut counts) {
            Some(counts)
        } else {
            None
        }
    }

    fn bt(&self, pi: usize, si: usize, syms: &[char], counts: &mut [usize]) -> bool {
        let Some(p) = self.params.get(pi) else {
            return si == syms.len();
        };
        let mut max = 0;
        while si + max < syms.len() && p.set.contains(syms[si + max]) {
            max += 1;
            if !p.plus {
                break;
            }
        }
        let min = if p.optional { 0 } else { 1 };
        let mut n = max as isize;
        while n >= min as isize {
            let k = n as usize;
            counts[pi] = k;
            if self.bt(pi + 1, si + k, syms, counts) {
                return true;
            }
            n -= 1;
        }
        false
    }

    /// Longest prefix of `syms` matched by the first `upto` parameters (for error reporting).
    fn prefix_len(&self, upto: usize, syms: &[char]) -> Option<usize> {
        // regex '^p1p2..pn' with no end anchor: find any match (leftmost, greedy)
        fn go(ps: &[Param], si: usize, syms: &[char]) -> Option<usize> {
            let Some(p) = ps.first() else { return Some(si) };
            let mut max = 0;
            while si + max < syms.len() && p.set.contains(syms[si + max]) {
                max += 1;
                if !p.plus {
                    break;
                }
            }
            let min = if p.optional { 0 } else { 1 };
            let mut n = max as isize;
            while n >= min as isize {
                if let Some(r) = go(&ps[1..], si + n as usize, syms) {
                    return Some(r);
                }
                n -= 1;
            }
            None
        }
        go(&self.params[..upto], 0, syms)
    }

    pub fn validate(
        &self,
        args: &[Option<Value>],
        context: &Option<Value>,
    ) -> Result<Vec<Option<Value>>, Err> {
        let syms: Vec<char> = args.iter().map(Value::type_symbol).collect();
        let Some(counts) = self.match_counts(&syms) else {
            let mut good_to = 0;
            for i in 0..self.params.len() {
                match self.prefix_len(i + 1, &syms) {
                    None => {
                        return Err(Err::new("T0410")
                            .value(args.get(good_to).cloned().flatten())
                            .index(good_to + 1));
                    }
                    Some(l) => good_to = l,
                }
            }
            return Err(Err::new("T0410")
                .value(args.get(good_to).cloned().flatten())
                .index(good_to + 1));
        };
        let mut out = Vec::with_capacity(self.params.len());
        let mut ai = 0;
        for (p, &count) in self.params.iter().zip(counts.iter()) {
            if count == 0 {
                if p.context {
                    let ct = Value::type_symbol(context);
                    if p.set.contains(ct) {
                        out.push(context.clone());
                    } else {
                        return Err(Err::new("T0411").value(context.clone()).index(ai + 1));
                    }
                } else {
                    out.push(args.get(ai).cloned().flatten());
                    ai += 1;
                }
                continue;
            }
            for _ in 0..count {
                let arg = args.get(ai).cloned().flatten();
                let single = Value::type_symbol(&arg);
                if p.type_ == "a" {
                    if single == 'm' {
                        out.push(None);
                    } else {
                        let mut ok = true;
                        if let Some(sub) = &p.subtype {
                            let sub0 = sub.chars().next().unwrap_or('x');
                            if single != 'a' && single != sub0 {
                                ok = false;
                            } else if let Some(Value::Array(items, _)) = &arg {
                                if let Some(first) = items.first() {
                                    let it = Value::type_symbol(&Some(first.clone()));
                                    if it != sub0 {
                                        ok = false;
                                    } else {
                                        ok = items
                                            .iter()
                                            .all(|v| Value::type_symbol(&Some(v.clone())) == it);
                                    }
                                }
                            }
                            if !ok {
                                let mut e = Err::new("T0412").value(arg.clone()).index(ai + 1);
                                e.type_ = Some(match sub0 {
                                    'a' => "arrays",
                                    'b' => "booleans",
                                    'f' => "functions",
                                    'n' => "numbers",
                                    'o' => "objects",
                                    's' => "strings",
                                    _ => "values",
                                });
                                return Err(e);
                            }
                        }
                        match arg {
                            Some(v @ Value::Array(..)) => out.push(Some(v)),
                            Some(v) => out.push(Some(Value::array(vec![v]))),
                            None => out.push(None),
                        }
                    }
                } else {
                    out.push(arg);
                }
                ai += 1;
            }
        }
        Ok(out)
    }
}
