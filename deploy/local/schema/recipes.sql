-- Recipe cluster (jp-recipes). user_id refers to accounts.users on one of
-- the account shards; there are no foreign keys across clusters.

CREATE DATABASE IF NOT EXISTS recipes CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;

CREATE TABLE IF NOT EXISTS recipes.recipes (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id      BIGINT UNSIGNED NOT NULL,
  title        VARCHAR(200) NOT NULL,
  description  MEDIUMTEXT,
  status       ENUM('draft','published','hidden') NOT NULL DEFAULT 'draft',
  published_at DATETIME(6) NULL,
  PRIMARY KEY (id),
  KEY user (user_id)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS recipes.steps (
  id        BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  recipe_id BIGINT UNSIGNED NOT NULL,
  position  INT NOT NULL,
  body      TEXT NOT NULL,
  photo     BLOB,
  PRIMARY KEY (id),
  KEY recipe_position (recipe_id, position)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS recipes.cooksnaps (
  id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  recipe_id  BIGINT UNSIGNED NOT NULL,
  user_id    BIGINT UNSIGNED NOT NULL,
  comment    VARCHAR(1024),
  metadata   JSON,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  KEY recipe (recipe_id)
) ENGINE=InnoDB;
