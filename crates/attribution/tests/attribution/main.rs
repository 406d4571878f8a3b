//! The models against hand-solved cases, independent oracles and peers'
//! published figures, and the properties every model keeps.

mod support;

mod data_driven;
mod intervals;
mod markov_order;
mod models;
mod properties;
mod report;
mod sessions;
mod shapley;
mod touches;
