-- Target database. Its tables are created by the target migrations.

CREATE DATABASE IF NOT EXISTS global CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
