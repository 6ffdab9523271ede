-- The demo target schema. Every column but the key is nullable because a
-- row can be built by several contributors arriving in any order.

-- +goose Up
CREATE TABLE global.members (
  id           BIGINT UNSIGNED NOT NULL,
  email        VARCHAR(191) NULL,
  display_name VARCHAR(100) NULL,
  bio          MEDIUMTEXT NULL,
  locale       VARCHAR(16) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE global.recipes (
  id          BIGINT UNSIGNED NOT NULL,
  author_id   BIGINT UNSIGNED NULL,
  author_name VARCHAR(100) NULL,
  title       VARCHAR(200) NULL,
  description MEDIUMTEXT NULL,
  status      ENUM('draft','published','hidden') NULL,
  steps       JSON NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE global.cooksnaps (
  id        BIGINT UNSIGNED NOT NULL,
  recipe_id BIGINT UNSIGNED NULL,
  user_id   BIGINT UNSIGNED NULL,
  comment   VARCHAR(1024) NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

-- +goose Down
DROP TABLE IF EXISTS global.cooksnaps;
DROP TABLE IF EXISTS global.recipes;
DROP TABLE IF EXISTS global.members;
