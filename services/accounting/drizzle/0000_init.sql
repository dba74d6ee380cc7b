CREATE SCHEMA "accounting";
