//! Slurm scripts for a sharded sweep: a job array with one task per shard, and a merge job
//! that runs once every task has succeeded (`--dependency=afterok:<array id>`).

use std::path::PathBuf;

/// A sharded sweep as Slurm should run it.
#[derive(Debug, Clone)]
pub struct Job {
    /// Job name (the sweep's folder name).
    pub name: String,
    /// The `liaison` executable.
    pub program: PathBuf,
    /// Working directory of the sweep.
    pub cwd: PathBuf,
    /// `liaison sweep` arguments defining the sweep.
    pub args: Vec<String>,
    /// Array tasks.
    pub shards: usize,
    /// CPUs per task (also the sweep's `--threads`).
    pub cpus_per_task: usize,
    /// Memory per task (`--mem`).
    pub mem: String,
    /// Time limit per task (`--time`).
    pub time: String,
    /// Partition, if not the default.
    pub partition: Option<String>,
    /// The shards folder (scripts, plan, logs, shard files).
    pub dir: PathBuf,
}

/// `word` quoted for a POSIX shell (left bare when it is plainly safe).
pub fn quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if safe {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

fn header(job: &Job, name: &str, output: &str) -> String {
    let mut text = format!(
        "#!/bin/bash\n\
         # Written by `liaison sweep --slurm`. Paths are absolute; the sweep runs in {cwd}.\n\
         #SBATCH --job-name={name}\n\
         #SBATCH --output={output}\n",
        cwd = job.cwd.display(),
    );
    if let Some(p) = &job.partition {
        text.push_str(&format!("#SBATCH --partition={p}\n"));
    }
    text
}

/// The job array: task `I` runs shard `I` of the sweep.
pub fn array_script(job: &Job) -> String {
    let logs = job.dir.join("logs");
    let mut text = header(job, &job.name, &format!("{}/%A_%a.out", logs.display()));
    text.push_str(&format!(
        "#SBATCH --array=0-{last}\n\
         #SBATCH --ntasks=1\n\
         #SBATCH --cpus-per-task={cpus}\n\
         #SBATCH --mem={mem}\n\
         #SBATCH --time={time}\n\
         set -euo pipefail\n\
         cd {cwd}\n\
         exec {program} sweep {args} --shard \"${{SLURM_ARRAY_TASK_ID}}/{shards}\" --threads \"${{SLURM_CPUS_PER_TASK:-{cpus}}}\" --quiet\n",
        last = job.shards - 1,
        cpus = job.cpus_per_task,
        mem = job.mem,
        time = job.time,
        cwd = quote(&job.cwd.display().to_string()),
        program = quote(&job.program.display().to_string()),
        args = job.args.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" "),
        shards = job.shards,
    ));
    text
}

/// The merge job, to submit with `--dependency=afterok:<array job id>`.
pub fn merge_script(job: &Job) -> String {
    let sweep_dir = job.dir.parent().map(PathBuf::from).unwrap_or_default();
    let mut text = header(
        job,
        &format!("{}-merge", job.name),
        &format!("{}/merge-%j.out", job.dir.join("logs").display()),
    );
    text.push_str(&format!(
        "#SBATCH --ntasks=1\n\
         #SBATCH --cpus-per-task=1\n\
         #SBATCH --mem={mem}\n\
         #SBATCH --time={time}\n\
         set -euo pipefail\n\
         cd {cwd}\n\
         exec {program} sweep merge {dir} --quiet\n",
        mem = job.mem,
        time = job.time,
        cwd = quote(&job.cwd.display().to_string()),
        program = quote(&job.program.display().to_string()),
        dir = quote(&sweep_dir.display().to_string()),
    ));
    text
}

/// The shell commands that submit both scripts, the merge dependent on the array.
pub fn submit_commands(job: &Job) -> String {
    let submit = quote(&job.dir.join("submit.sbatch").display().to_string());
    let merge = quote(&job.dir.join("merge.sbatch").display().to_string());
    let logs = quote(&job.dir.join("logs").display().to_string());
    format!(
        "  mkdir -p {logs}\n  array=$(sbatch --parsable {submit} | cut -d';' -f1)\n  sbatch --dependency=afterok:$array {merge}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> Job {
        Job {
            name: "sweep-x".into(),
            program: "/opt/bin/liaison".into(),
            cwd: "/home/me/work dir".into(),
            args: vec![
                "s.toml".into(),
                "--metric".into(),
                "m: test=level, series=trust.*, at=2013-05-01".into(),
            ],
            shards: 4,
            cpus_per_task: 2,
            mem: "2G".into(),
            time: "01:00:00".into(),
            partition: None,
            dir: "/home/me/work dir/output/sweep-x/shards".into(),
        }
    }

    #[test]
    fn the_array_runs_one_shard_per_task_with_quoted_arguments() {
        let text = array_script(&job());
        assert!(text.contains("#SBATCH --array=0-3\n"));
        assert!(text.contains("#SBATCH --cpus-per-task=2\n"));
        assert!(text.contains("cd '/home/me/work dir'\n"));
        assert!(text.contains(
            "exec /opt/bin/liaison sweep s.toml --metric 'm: test=level, series=trust.*, at=2013-05-01' --shard \"${SLURM_ARRAY_TASK_ID}/4\""
        ));
        let merge = merge_script(&job());
        assert!(merge.contains("sweep merge '/home/me/work dir/output/sweep-x' --quiet"));
        assert!(submit_commands(&job()).contains("--dependency=afterok:$array"));
    }

    #[test]
    fn quoting_survives_single_quotes() {
        assert_eq!(quote("plain-1.0"), "plain-1.0");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
    }
}
