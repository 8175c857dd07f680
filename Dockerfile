# One image recipe for the three services: docker build --build-arg SERVICE=KeyService .
# (SERVICE is one of KeyService, EnvironmentEncryption, TenantLock.)
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG SERVICE
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props KeyPlatform.sln ./
COPY contracts/ contracts/
COPY services/ services/
RUN dotnet publish services/${SERVICE}/${SERVICE}.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
ARG SERVICE
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app .
ENV SERVICE_DLL=KeyPlatform.${SERVICE}.dll \
    ASPNETCORE_URLS=http://+:8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=6 CMD curl -fsS http://localhost:8080/health/ready || exit 1
ENTRYPOINT ["sh", "-c", "exec dotnet \"$SERVICE_DLL\""]
