CREATE SCHEMA "channel";
