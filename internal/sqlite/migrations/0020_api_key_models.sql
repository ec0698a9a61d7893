-- The models an API key may use: names separated by single spaces (model
-- names, classes, aliases, provider/model), '' for every model.
ALTER TABLE api_keys ADD COLUMN models TEXT NOT NULL DEFAULT '';
