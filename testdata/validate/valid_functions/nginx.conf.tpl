server {
  listen ${port};
  server_name ${domain};
}
