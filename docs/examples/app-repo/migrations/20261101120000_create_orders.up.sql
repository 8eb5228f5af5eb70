CREATE TABLE orders (
  id bigserial PRIMARY KEY,
  customer text NOT NULL,
  total_cents integer NOT NULL CHECK (total_cents >= 0),
  created_at timestamptz NOT NULL DEFAULT now()
);
