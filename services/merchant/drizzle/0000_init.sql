CREATE SCHEMA "merchant";
