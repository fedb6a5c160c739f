//! `stats-process [METHOD]`: reads a `SummarizeRequest` as JSON on stdin, prints the `Summary`
//! JSON on stdout; exits 2 with the reason on stderr for bad input. The gateway's `process`
//! service type runs it once per call with the method name as the last argument.
use std::io::Read;

fn main() {
    let method = std::env::args().nth(1).unwrap_or_else(|| "Summarize".into());
    if method != "Summarize" {
        eprintln!("unknown method {method}; this program only knows Summarize");
        std::process::exit(2);
    }
    let mut input = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut input) {
        eprintln!("reading stdin: {e}");
        std::process::exit(2);
    }
    let request: osiris_examples::stats::SummarizeRequest = match serde_json::from_str(&input) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("request is not a SummarizeRequest: {e}");
            std::process::exit(2);
        }
    };
    match osiris_examples::stats::summarize(&request) {
        Ok(summary) => println!("{}", serde_json::to_string(&summary).expect("a summary serializes")),
        Err(reason) => {
            eprintln!("{reason}");
            std::process::exit(2);
        }
    }
}
