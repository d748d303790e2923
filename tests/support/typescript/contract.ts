// Type-level facts about the generated types, checked by tsc (never run): every field of every answer is
// always present (none optional), and the write bodies require exactly what the API requires.

import type { Readable, Writable } from "openapi-typescript-helpers";
import type { components } from "todo-api-types";

type Schemas = components["schemas"];
type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];
type RequiredKeys<T> = Exclude<keyof T, OptionalKeys<T>>;
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

// What the API answers (with a 2xx or an error): nothing optional, at any depth that is a schema of its own.
type Answers = Readable<
  Pick<
    Schemas,
    | "TaskPublic"
    | "TasksPublic"
    | "UserPublic"
    | "AuthResponse"
    | "VerifyResponse"
    | "MessageResponse"
    | "Liveness"
    | "Readiness"
    | "ErrorBody"
    | "ValidationErrorBody"
    | "FieldError"
    | "SessionPublic"
    | "SessionsResponse"
  >
>;
type AnswersWithOptionalFields = {
  [Name in keyof Answers as [OptionalKeys<Answers[Name]>] extends [never] ? never : Name]: OptionalKeys<
    Answers[Name]
  >;
};

type Body<Name extends keyof Schemas> = Writable<Schemas[Name]>;

export type Facts = [
  Expect<Equals<AnswersWithOptionalFields, {}>>,
  Expect<
    Equals<
      keyof Answers["TaskPublic"],
      | "id"
      | "user_id"
      | "title"
      | "description"
      | "completed"
      | "priority"
      | "due_date"
      | "created_at"
      | "updated_at"
      | "version"
    >
  >,
  Expect<Equals<Answers["TaskPublic"]["description"], string | null>>,
  Expect<Equals<Answers["TaskPublic"]["due_date"], string | null>>,
  Expect<Equals<Answers["TaskPublic"]["priority"], "low" | "medium" | "high">>,
  Expect<Equals<Answers["UserPublic"]["name"], string | null>>,
  Expect<Equals<Answers["UserPublic"]["email"], string | null>>,
  // Both names of the access token are always there (7 of 11 frontends that log in here read access_token).
  Expect<Equals<Answers["AuthResponse"]["access_token"], string>>,
  Expect<Equals<Answers["AuthResponse"]["token"], string>>,
  // The refresh token is in the body only for clients that asked for it: always present, maybe null.
  Expect<Equals<Answers["AuthResponse"]["refresh_token"], string | null>>,
  Expect<
    Equals<keyof Answers["SessionPublic"], "id" | "created_at" | "last_used_at" | "user_agent" | "current">
  >,
  Expect<Equals<Answers["SessionPublic"]["user_agent"], string | null>>,
  Expect<Equals<Answers["SessionPublic"]["current"], boolean>>,
  // POST requires the title only; PUT and PATCH require nothing; complete's body requires its one field.
  Expect<Equals<RequiredKeys<Body<"TaskCreate">>, "title">>,
  Expect<Equals<RequiredKeys<Body<"TaskUpdate">>, never>>,
  Expect<Equals<RequiredKeys<Body<"TaskCompletion">>, "completed">>,
  Expect<Equals<RequiredKeys<Body<"SignupRequest">>, "email" | "password">>,
  Expect<Equals<RequiredKeys<Body<"LoginRequest">>, "email" | "password">>,
  Expect<Equals<Body<"LoginRequest">["refresh_token_in_body"], boolean | undefined>>,
  Expect<Equals<RequiredKeys<Body<"PasswordChangeRequest">>, "current_password" | "new_password">>,
  Expect<Equals<RequiredKeys<Body<"RefreshRequest">>, never>>,
  // null only where the API takes it (it clears the field), never for title, completed, priority.
  Expect<Equals<Body<"TaskUpdate">["title"], string | undefined>>,
  Expect<Equals<Body<"TaskUpdate">["completed"], boolean | undefined>>,
  Expect<Equals<Body<"TaskUpdate">["priority"], "low" | "medium" | "high" | undefined>>,
  Expect<Equals<Body<"TaskUpdate">["description"], string | null | undefined>>,
  Expect<Equals<Body<"TaskUpdate">["due_date"], string | null | undefined>>,
];
