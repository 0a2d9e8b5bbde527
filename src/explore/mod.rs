//! Exploration on top of the runner: factors over ranges, designs, sweeps with sensitivity
//! indices, and calibration against targets. The model and runner know nothing of it.

pub mod calibrate;
pub mod design;
pub mod factor;
pub mod figures;
pub mod metric;
pub mod objective;
pub mod point;
pub mod sensitivity;
pub mod slurm;
pub mod sweep;
