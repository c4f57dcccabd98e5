DROP TABLE IF EXISTS search_synonym;
