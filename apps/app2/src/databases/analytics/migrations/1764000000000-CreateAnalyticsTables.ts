import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateAnalyticsTables1764000000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "users" ("id" SERIAL NOT NULL, "email" character varying(320) NOT NULL, "display_name" character varying(200), ` +
        `"created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), ` +
        `CONSTRAINT "UQ_97672ac88f789774dd47f7c8be3" UNIQUE ("email"), CONSTRAINT "PK_a3ffb1c0c8416b9fc6f907b7433" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "page_views" ("id" BIGSERIAL NOT NULL, "user_id" integer NOT NULL, "path" character varying(2048) NOT NULL, ` +
        `"viewed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_3b1047277a9c2a8cfd618787671" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_page_views_user_id_viewed_at" ON "page_views" ("user_id", "viewed_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "page_views"`);
    await queryRunner.query(`DROP TABLE "users"`);
  }
}
