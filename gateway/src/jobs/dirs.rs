//! Where one job's files live on the gateway's machine.

use std::path::{Path, PathBuf};

/// The directories of one job.
#[derive(Debug, Clone)]
pub struct JobDirs {
    /// The job's own directory (the runner's working directory).
    pub root: PathBuf,
    /// The consumer's uploaded algorithm.
    pub algorithm: PathBuf,
    /// The provider's data set (read by the job, shared by all jobs).
    pub data: PathBuf,
    /// Where the job writes its outputs.
    pub output: PathBuf,
    /// stdout and stderr of the runner.
    pub log: PathBuf,
}

impl JobDirs {
    /// The layout under `root`: `algorithm/`, `output/`, `log.txt`.
    pub fn new(root: PathBuf, data: &Path) -> Self {
        Self {
            algorithm: root.join("algorithm"),
            output: root.join("output"),
            log: root.join("log.txt"),
            data: data.to_path_buf(),
            root,
        }
    }
}
