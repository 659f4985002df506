-- Notification deliveries (store.DeliveryStore): one row per
-- notification and target. time is Unix nanoseconds.
CREATE TABLE deliveries (
	key  TEXT PRIMARY KEY,
	time INTEGER NOT NULL,
	data TEXT NOT NULL
);
CREATE INDEX deliveries_time ON deliveries (time DESC);
