//! Reading Segment's messages: parsing, loose reading of what real libraries
//! send, and the properties parsing keeps.

mod loose_reading;
mod parse;
mod props;
