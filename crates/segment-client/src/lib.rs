//! Outbound Segment Tracking API client.
