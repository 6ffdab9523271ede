-- Account shards (jp-accounts, jp-accounts-2): the same schema on each.
-- Ids come from each shard's own AUTO_INCREMENT and may overlap across
-- shards; e-mails are unique across all shards.

CREATE DATABASE IF NOT EXISTS accounts CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;

CREATE TABLE IF NOT EXISTS accounts.users (
  id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  email      VARCHAR(191) NOT NULL,
  name       VARCHAR(100) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE KEY email (email)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS accounts.user_profiles (
  user_id BIGINT UNSIGNED NOT NULL,
  bio     MEDIUMTEXT,
  locale  VARCHAR(16),
  avatar  BLOB,
  PRIMARY KEY (user_id)
) ENGINE=InnoDB;
