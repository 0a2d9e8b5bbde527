//! Comparing scenarios and variants with paired differences (see `liaison compare`).
