# one
-- two
/* three */
--
