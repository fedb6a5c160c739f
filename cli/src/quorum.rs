//! Replicated calls: the same request to several independent providers of one API, and
//! the output at least a quorum of them agree on.
//!
//! Outputs are compared as canonical JSON (object keys sorted, no whitespace), byte for
//! byte; a provider that failed counts as disagreeing. The request is sent unchanged to
//! every provider, so whatever must not vary between them (a time, a random seed) belongs
//! in the request.

use serde_json::Value;
use std::collections::BTreeMap;

/// One provider's answer: its name (`org/service`) and its output or why it has none.
#[derive(Debug)]
pub struct Answer {
    pub provider: String,
    pub output: Result<Value, String>,
}

/// The agreed output and who agreed, or why there is none.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    Agreed {
        output: Value,
        agreeing: Vec<String>,
        dissenting: Vec<String>,
    },
    /// No output reached the quorum: each distinct output (canonical JSON, or the error)
    /// with the providers that gave it, largest group first.
    NoQuorum {
        groups: Vec<(String, Vec<String>)>,
    },
}

/// Writes `value` as canonical JSON: object keys sorted, no insignificant whitespace.
pub fn canonical(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<&String, &Value> = map.iter().collect();
            out.push('{');
            for (i, (k, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The output at least `quorum` answers agree on (byte-equal canonical JSON).
pub fn decide(answers: Vec<Answer>, quorum: usize) -> Verdict {
    // canonical output → (output, providers); errors grouped apart, never agreeing.
    let mut outputs: BTreeMap<String, (Value, Vec<String>)> = BTreeMap::new();
    let mut failed: Vec<(String, Vec<String>)> = Vec::new();
    for answer in answers {
        match answer.output {
            Ok(value) => {
                outputs.entry(canonical(&value)).or_insert_with(|| (value, Vec::new())).1.push(answer.provider)
            }
            Err(error) => failed.push((format!("error: {error}"), vec![answer.provider])),
        }
    }
    let best = outputs.iter().max_by_key(|(_, (_, providers))| providers.len()).map(|(k, _)| k.clone());
    if let Some(key) = best.filter(|k| outputs[k].1.len() >= quorum.max(1)) {
        let (output, agreeing) = outputs.remove(&key).expect("the best output");
        let dissenting = outputs.into_values().flat_map(|(_, p)| p).chain(failed.into_iter().flat_map(|(_, p)| p));
        return Verdict::Agreed { output, agreeing, dissenting: dissenting.collect() };
    }
    let mut groups: Vec<(String, Vec<String>)> = outputs.into_iter().map(|(k, (_, p))| (k, p)).collect();
    groups.extend(failed);
    groups.sort_by_key(|(_, p)| std::cmp::Reverse(p.len()));
    Verdict::NoQuorum { groups }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok(provider: &str, value: Value) -> Answer {
        Answer { provider: provider.into(), output: Ok(value) }
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let a = json!({"b": 1, "a": {"y": [1, {"d": 2, "c": 3}], "x": "s"}});
        assert_eq!(canonical(&a), r#"{"a":{"x":"s","y":[1,{"c":3,"d":2}]},"b":1}"#);
        let reordered: Value =
            serde_json::from_str(r#"{ "a": {"x": "s", "y": [1, {"c": 3, "d": 2}]}, "b": 1 }"#).unwrap();
        assert_eq!(canonical(&a), canonical(&reordered));
    }

    #[test]
    fn two_of_three_agree_and_the_third_is_named() {
        let answers = vec![
            ok("acme/text", json!({"words": 4, "top": ["a"]})),
            ok("globex/text", json!({"top": ["a"], "words": 4})),
            ok("initech/text", json!({"words": 5, "top": ["a"]})),
        ];
        match decide(answers, 2) {
            Verdict::Agreed { output, agreeing, dissenting } => {
                assert_eq!(output["words"], 4);
                assert_eq!(agreeing, ["acme/text", "globex/text"]);
                assert_eq!(dissenting, ["initech/text"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn without_a_quorum_every_output_is_listed_with_its_providers() {
        let answers = vec![
            ok("a/x", json!(1)),
            ok("b/x", json!(2)),
            Answer { provider: "c/x".into(), output: Err("gateway down".into()) },
        ];
        match decide(answers, 2) {
            Verdict::NoQuorum { groups } => {
                assert_eq!(groups.len(), 3);
                assert!(groups.iter().any(|(k, p)| k == "error: gateway down" && p == &["c/x".to_string()]));
            }
            other => panic!("{other:?}"),
        }
        // Failures never agree with each other.
        let failures = (0..3).map(|i| Answer { provider: format!("p{i}/x"), output: Err("same".into()) }).collect();
        assert!(matches!(decide(failures, 2), Verdict::NoQuorum { .. }));
    }
}
