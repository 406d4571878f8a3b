//! Realistic Segment histories: visitors with one to three devices come back
//! over the days through search, ads, social, email, AI assistants, partners
//! or directly; they browse, sign up (an identify links the device), log in on
//! other devices, request demos (followed by CRM milestones) and buy. Every
//! message derives from (seed, visitor, session), so a history is the same
//! byte for byte for a seed.

pub mod event;
pub mod pages;
pub mod session;
pub mod shape;
pub mod site;
pub mod visitor;
