//! Text statistics, served as a JSON-RPC 2.0 endpoint over HTTP (`POST /`).
//!
//! Method `Analyze`, params `{"text": "...", "top": 5}` (protobuf JSON mapping of
//! `osiris.examples.text.v1.AnalyzeRequest`), result an `AnalyzeReply` in JSON.

use axum::{routing::post, Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;
use tokio::net::TcpListener;

/// `AnalyzeRequest` in protobuf's JSON mapping.
#[derive(Debug, Deserialize)]
pub struct AnalyzeRequest {
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub top: u32,
}

/// `AnalyzeReply` in protobuf's JSON mapping (camelCase names).
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AnalyzeReply {
    pub words: u32,
    pub sentences: u32,
    pub characters: u32,
    pub average_word_length: f64,
    pub top_words: Vec<WordCount>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct WordCount {
    pub word: String,
    pub count: u32,
}

/// Counts words (letters, digits and apostrophes, lower-cased), sentences (runs ending in
/// `.`, `!` or `?`, or a trailing run of text) and characters; the `top` most frequent
/// words (5 if 0), ties by word.
pub fn analyze(request: &AnalyzeRequest) -> AnalyzeReply {
    let text = &request.text;
    let words: Vec<String> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let sentences = text.split(['.', '!', '?']).filter(|s| s.chars().any(char::is_alphanumeric)).count();
    let mut counts: HashMap<&str, u32> = HashMap::new();
    for w in &words {
        *counts.entry(w).or_default() += 1;
    }
    let mut top: Vec<WordCount> =
        counts.into_iter().map(|(w, c)| WordCount { word: w.to_string(), count: c }).collect();
    top.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.word.cmp(&b.word)));
    top.truncate(if request.top == 0 { 5 } else { request.top as usize });
    let letters: usize = words.iter().map(|w| w.chars().count()).sum();
    AnalyzeReply {
        words: words.len() as u32,
        sentences: sentences as u32,
        characters: text.chars().count() as u32,
        average_word_length: if words.is_empty() { 0.0 } else { letters as f64 / words.len() as f64 },
        top_words: top,
    }
}

/// One JSON-RPC 2.0 request object.
async fn rpc(Json(request): Json<Value>) -> Json<Value> {
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let error = |code: i64, message: String| {
        Json(json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}))
    };
    if request.get("jsonrpc") != Some(&json!("2.0")) {
        return error(-32600, "not a JSON-RPC 2.0 request".into());
    }
    match request.get("method").and_then(Value::as_str) {
        Some("Analyze") => {}
        Some(other) => return error(-32601, format!("method {other} not found")),
        None => return error(-32600, "method missing".into()),
    }
    let params = request.get("params").cloned().unwrap_or(json!({}));
    match serde_json::from_value::<AnalyzeRequest>(params) {
        Ok(params) => Json(json!({"jsonrpc": "2.0", "id": id, "result": analyze(&params)})),
        Err(e) => error(-32602, format!("invalid params: {e}")),
    }
}

/// Serves the JSON-RPC endpoint on `listener` until the process ends.
pub async fn serve(listener: TcpListener) -> std::io::Result<()> {
    axum::serve(listener, Router::new().route("/", post(rpc))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_words_sentences_and_top_words() {
        let reply = analyze(&AnalyzeRequest { text: "The cat sat. The cat ran! Did it?".into(), top: 2 });
        assert_eq!(reply.words, 8);
        assert_eq!(reply.sentences, 3);
        assert_eq!(reply.characters, 33);
        assert_eq!(
            reply.top_words,
            vec![WordCount { word: "cat".into(), count: 2 }, WordCount { word: "the".into(), count: 2 }]
        );
        assert_eq!(analyze(&AnalyzeRequest { text: String::new(), top: 0 }).average_word_length, 0.0);
    }
}
