CREATE SCHEMA "gateway";
