//! Touches, conversions and attribution models. Pure, no I/O.
