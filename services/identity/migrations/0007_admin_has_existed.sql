-- ELCORP_BOOTSTRAP_ADMIN_EMAIL grants admin only while no admin has ever existed: once one
-- has, whoever registers that email later (after the first account's erasure, say) is an
-- ordinary user. This one-row table is that fact; it is never deleted. The trigger writes
-- it whenever an admin role is stored, however it came (registration, governance's grants).
CREATE TABLE admin_has_existed (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  recorded_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO admin_has_existed (singleton)
SELECT true WHERE EXISTS (SELECT 1 FROM user_roles WHERE role = 'admin');

CREATE FUNCTION record_admin_has_existed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO admin_has_existed (singleton) VALUES (true) ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;

CREATE TRIGGER user_roles_admin_has_existed AFTER INSERT ON user_roles
  FOR EACH ROW WHEN (NEW.role = 'admin') EXECUTE FUNCTION record_admin_has_existed();
