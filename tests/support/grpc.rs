//! Reading gRPC answers in tests.

/// The code of a refusal; panics if `result` is not one, or if its message is empty (a
/// refusal names its problem).
pub fn refusal_code<T: std::fmt::Debug>(result: Result<T, tonic::Status>) -> tonic::Code {
    match result {
        Ok(value) => panic!("expected a refusal, got {value:?}"),
        Err(status) => {
            assert!(!status.message().is_empty(), "a refusal names its problem");
            status.code()
        }
    }
}
