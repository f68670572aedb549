SELECT 1;
/* /* nested is not a thing */ SELECT 2;
/* open
SELECT 3;
